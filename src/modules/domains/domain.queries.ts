/**
 * The id of the verified domain whose hostname the SQL parameter `hostnameParam` holds (null when
 * none is): a subquery over the domains table for another feature's statement, so that table's
 * SQL stays with its owner.
 */
export function verifiedDomainIdSql(hostnameParam: string): string {
  if (!/^\$\d+$/.test(hostnameParam)) throw new Error(`verifiedDomainIdSql takes a parameter placeholder such as $2, not ${hostnameParam}`);
  return `SELECT d.id FROM domains d WHERE d.hostname = ${hostnameParam} AND d.verified_at IS NOT NULL`;
}
