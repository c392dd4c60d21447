// Runs the browser tests (test/console) after every other suite: each starts a Chromium, the
// heaviest thing the suite does, and on two cores they are best not run beside the timing-
// sensitive suites. Within each group, Jest's own order (slowest first, from its cache) stands.
const Sequencer = require('@jest/test-sequencer').default;

const isBrowserTest = (test) => /[\\/]test[\\/]console[\\/]/.test(test.path);

class BrowserTestsLast extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => !isBrowserTest(t)), ...sorted.filter(isBrowserTest)];
  }
}

module.exports = BrowserTestsLast;
