import { isObjectType } from 'graphql';
import { buildSchema } from '../../src/app';
import { KEYGATE } from '../../src/modules';

/**
 * GraphiQL's docs show what each field needs: every guarded field's description ends with its
 * scopes, derived from the enforced requirements (never typed by hand), and no other field says so.
 */
describe('scopes in field descriptions', () => {
  it('every guarded field, and only those, ends with "Requires <scopes>." exactly as enforced', async () => {
    const { schema, requirements } = await buildSchema();
    let guarded = 0;
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const mask = requirements.of(type.name, field.name);
        const description = field.description ?? '';
        if (mask === 0n) {
          expect({ field: `${type.name}.${field.name}`, mentions: /Requires \w+:\w+/.test(description) }).toEqual({
            field: `${type.name}.${field.name}`,
            mentions: false,
          });
          continue;
        }
        guarded++;
        expect(description.endsWith(`Requires ${KEYGATE.access.scopesOf(mask).join(' and ')}.`)).toBe(true);
        // Written once: the hand-written part never repeats a scope.
        expect(description.slice(0, description.lastIndexOf('Requires '))).not.toMatch(/\b\w+:(create|read|update|delete)\b/);
      }
    }
    expect(guarded).toBeGreaterThan(50);
  });

  it('examples: a type-level guard plus a field-level one', async () => {
    const { schema } = await buildSchema();
    const shortLink = schema.getType('ShortLink');
    if (!isObjectType(shortLink)) throw new Error('no ShortLink');
    expect(shortLink.getFields().clicks.description).toBe(
      'Total redirects (written every few seconds).\n\nRequires shortLinks:read and stats:read.',
    );
    const query = schema.getQueryType()!.getFields();
    expect(query.apiKey.description).toBe('Requires apiKeys:read.');
  });
});
