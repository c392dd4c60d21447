module.exports = async function globalTeardown() {
  await globalThis.__KEYGATE_TEST_DB__?.teardown();
};
