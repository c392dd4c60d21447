import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema } from '../src/app';
import { printKeygateSchema } from '../src/graphql/schema';

/** Writes schema/schema.graphql; a test fails when it is stale. */
async function main() {
  const { schema } = await buildSchema();
  const file = path.resolve(__dirname, '..', 'schema', 'schema.graphql');
  writeFileSync(file, printKeygateSchema(schema));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}
void main();
