import { RowShape } from '../../src/db/row-shape';
import { ApiKey } from '../../src/modules/api-keys/api-key.entity';
import { TestApp } from '../support/harness';

/**
 * A row shape writes a function per entity and alias (db/row-shape.ts): made once per data
 * source. Each request runs on its own budgeted view of the data source (db/request-budget.ts),
 * a new object per request; the shapes must still be the app's, not remade per request (they
 * were, for a while: 70 µs of every apiKeys page).
 */
describe('row shapes are made once per data source, whatever request uses them', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.create();
  });
  afterAll(() => t.close());

  it('two requests’ views and the app’s data source share one shape', () => {
    const app = RowShape.of(t.dataSource, ApiKey, 'k');
    const first = RowShape.of(t.app.requestBudgets.open().db, ApiKey, 'k');
    const second = RowShape.of(t.app.requestBudgets.open().db, ApiKey, 'k');
    expect(first).toBe(app);
    expect(second).toBe(app);
    expect(RowShape.of(t.app.requestBudgets.open().db, ApiKey, 'other')).not.toBe(app);
  });
});
