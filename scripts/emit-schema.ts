import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from '../src/app';
import { printConsoleEvents } from '../src/core/audit-catalog';
import { KEYGATE } from '../src/modules';
import { printConsoleScopes, printKeygateSchema } from '../src/graphql/schema';

/** Writes schema/schema.graphql and the console's Scope type and event catalog; a test fails when either is stale. */
async function main() {
  const built = await buildSchema();
  const root = path.resolve(__dirname, '..');
  for (const [file, text] of [
    [path.join(root, 'schema', 'schema.graphql'), printKeygateSchema(built.schema)],
    [path.join(root, 'console', 'src', 'generated', 'scopes.ts'), printConsoleScopes(built)],
    [path.join(root, 'console', 'src', 'generated', 'events.ts'), printConsoleEvents(KEYGATE.events)],
  ]) {
    writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
void main();
