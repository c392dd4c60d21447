// `npm run check:features`: the shape of src/ at the level of features. Fails when the core
// (src/core) imports any feature, or when features import each other in a cycle (a → b → … → a),
// naming the files that make each edge. File-level cycles are madge's job (check:cycles); this
// looks one level up, where a file-level DAG can still tie two features together both ways.
const path = require('node:path');
const madge = require('madge');

const root = path.resolve(__dirname, '..');
const featureOf = (file) => /^modules\/([^/]+)\//.exec(file)?.[1] ?? null;

async function main() {
  const result = await madge(path.join(root, 'src'), { fileExtensions: ['ts'], tsConfig: path.join(root, 'tsconfig.json') });
  const files = result.obj();
  const problems = [];
  const edges = new Map(); // feature → Map(feature → [file → file])
  for (const [file, imports] of Object.entries(files)) {
    for (const imported of imports) {
      const to = featureOf(imported);
      if (file.startsWith('core/') && (to || imported === 'modules/index.ts'))
        problems.push(`the core imports a feature: ${file} → ${imported}`);
      const from = featureOf(file);
      if (!from || !to || from === to) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const byTarget = edges.get(from);
      if (!byTarget.has(to)) byTarget.set(to, []);
      byTarget.get(to).push(`${file} → ${imported}`);
    }
  }
  // Cycles between features: depth-first search over the feature graph.
  const state = new Map();
  const stack = [];
  const visit = (feature) => {
    state.set(feature, 'open');
    stack.push(feature);
    for (const next of edges.get(feature)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const why = cycle.slice(0, -1).map((f, i) => edges.get(f).get(cycle[i + 1])[0]);
        problems.push(`features import each other: ${cycle.join(' → ')}\n    ${why.join('\n    ')}`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(feature, 'done');
  };
  for (const feature of [...edges.keys()].sort()) if (!state.has(feature)) visit(feature);
  if (problems.length) {
    console.error(`check:features: ${problems.length} problem(s)\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`check:features: the core imports no feature; ${edges.size} features import each other without a cycle.`);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
