import { readFileSync } from 'node:fs';
import path from 'node:path';

/** CI's audit gate (scripts/audit-gate.js), judged on npm audit's own JSON shapes. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { judge, explainedAdvisories } = require('../../scripts/audit-gate.js');

const advisory = (id: string, name: string, severity: string) => ({
  source: 1,
  name,
  dependency: name,
  title: `${name} is vulnerable`,
  url: `https://github.com/advisories/${id}`,
  severity,
  range: '<9.9.9',
});

const report = {
  auditReportVersion: 2,
  vulnerabilities: {
    alpha: { name: 'alpha', severity: 'critical', via: [advisory('GHSA-cfgh-jmpq-rvwx', 'alpha', 'critical')] },
    beta: { name: 'beta', severity: 'high', via: [advisory('GHSA-2345-6789-cfgh', 'beta', 'high'), 'alpha'] },
    gamma: { name: 'gamma', severity: 'moderate', via: [advisory('GHSA-jmpq-rvwx-2345', 'gamma', 'moderate')] },
  },
};

it('a high or critical advisory not listed in the threat model fails the gate; a listed one, or a moderate one, does not', () => {
  expect(judge(report, new Set()).unexplained.map((a: { id: string }) => a.id)).toEqual(['GHSA-cfgh-jmpq-rvwx', 'GHSA-2345-6789-cfgh']);
  expect(judge(report, new Set(['GHSA-cfgh-jmpq-rvwx'])).unexplained.map((a: { id: string }) => a.id)).toEqual(['GHSA-2345-6789-cfgh']);
  expect(judge(report, new Set(['GHSA-cfgh-jmpq-rvwx', 'GHSA-2345-6789-cfgh'])).unexplained).toEqual([]);
  expect(judge({ auditReportVersion: 2, vulnerabilities: {} }, new Set())).toEqual({ all: [], unexplained: [] });
});

it('a registry that gives no report is "unavailable", never a pass by silence', () => {
  const refused = {
    message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
    statusCode: 405,
  };
  expect(judge(refused, new Set())).toEqual({ unavailable: refused.message });
});

it('reads the explained ids from the "Known advisories" section of docs/threat-model.md only', () => {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/threat-model.md'), 'utf8');
  expect(doc).toContain('## Known advisories');
  const sample = '## Surfaces\nGHSA-cfgh-jmpq-rvwx\n## Known advisories\n| GHSA-2345-6789-cfgh | beta | not reached |\n## Left open\n';
  expect([...explainedAdvisories(sample)]).toEqual(['GHSA-2345-6789-cfgh']);
});
