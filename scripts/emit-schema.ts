import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildKeygateSchema, printKeygateSchema } from '../src/graphql/schema';

/** Writes schema/schema.graphql; a test fails when it is stale. */
async function main() {
  const { schema } = await buildKeygateSchema();
  const file = path.resolve(__dirname, '..', 'schema', 'schema.graphql');
  writeFileSync(file, printKeygateSchema(schema));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
void main();
