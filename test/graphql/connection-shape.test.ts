import 'reflect-metadata';
import { spawn } from 'node:child_process';
import type { Page } from '../../src/db/pagination';
import { toConnection } from '../../src/graphql/types/connection';
import { finished, ROOT } from '../support/processes';

function page(ids: string[], count = 7): Page<{ id: string }> & { counted: number } {
  const p = {
    nodes: ids.map((id) => ({ id })),
    cursor: (i: number) => `cursor:${ids[i]}`,
    hasNextPage: true,
    totalCount: async () => {
      p.counted++;
      return count;
    },
    counted: 0,
  };
  return p;
}

describe('a page as its connection', () => {
  it('answers nodes, edges, pageInfo and totalCount from the page', async () => {
    const p = page(['a', 'b', 'c']);
    const connection = toConnection(p);
    expect(connection.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(connection.edges.map((e) => [e.cursor, e.node.id])).toEqual([
      ['cursor:a', 'a'],
      ['cursor:b', 'b'],
      ['cursor:c', 'c'],
    ]);
    const { hasNextPage, hasPreviousPage, endCursor, startCursor } = connection.pageInfo;
    expect({ hasNextPage, hasPreviousPage, endCursor, startCursor }).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      endCursor: 'cursor:c',
      startCursor: 'cursor:a',
    });
    expect(p.counted).toBe(0);
    await expect(connection.totalCount).resolves.toBe(7);
    expect(p.counted).toBe(1);
  });

  it('has no cursors on an empty page and counts only when asked', () => {
    const p = page([]);
    const connection = toConnection(p);
    expect([connection.pageInfo.startCursor, connection.pageInfo.endCursor, connection.edges]).toEqual([null, null, []]);
    expect(p.counted).toBe(0);
  });

  it('carries no getter of its own: each is on a shared prototype', () => {
    const own = (o: object) => Object.values(Object.getOwnPropertyDescriptors(o)).filter((d) => d.get || d.set);
    const a = toConnection(page(['a']));
    const b = toConnection(page(['b', 'c']));
    expect([own(a), own(a.pageInfo), own(a.edges[0])]).toEqual([[], [], []]);
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
  });

  // Object literals with getters were dictionary-mode objects, each with accessor pairs V8 makes in
  // old space; dead, those kept the page's rows alive through every scavenge (docs/hot-path.md, "Garbage").
  it('makes connections, their pageInfo and edges fast objects sharing one hidden class each, in V8 itself', async () => {
    const child = spawn(
      process.execPath,
      [
        '--require',
        'ts-node/register/transpile-only',
        '--allow-natives-syntax',
        '-e',
        `require('reflect-metadata');
         const { toConnection } = require('./src/graphql/types/connection');
         const page = (ids) => ({ nodes: ids.map((id) => ({ id })), cursor: (i) => ids[i], hasNextPage: false, totalCount: async () => ids.length });
         const a = toConnection(page(['a'])), b = toConnection(page(['b', 'c']));
         const fast = [a, a.pageInfo, a.edges[0]].map((o) => %HasFastProperties(o));
         const same = [%HaveSameMap(a, b), %HaveSameMap(a.pageInfo, b.pageInfo), %HaveSameMap(a.edges[0], b.edges[1])];
         process.stdout.write(JSON.stringify({ fast, same }));`,
      ],
      { cwd: ROOT },
    );
    const { code, stdout, stderr } = await finished(child);
    expect({ code, stderr, answer: JSON.parse(stdout) as unknown }).toEqual({
      code: 0,
      stderr: '',
      answer: { fast: [true, true, true], same: [true, true, true] },
    });
  });
});
