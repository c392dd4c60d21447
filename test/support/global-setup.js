// Plain Node (not transformed): starts the test database once for the whole run.
require('ts-node').register({ transpileOnly: true });
const { setupTestDatabase } = require('./test-database');

module.exports = async function globalSetup() {
  globalThis.__KEYGATE_TEST_DB__ = await setupTestDatabase();
};
