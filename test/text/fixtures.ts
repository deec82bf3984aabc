/** The shared fixtures, for the tokenizer tests: re-exported from the helpers every suite uses. */
export { fixture, fixturesDir, readIntMatrix, readJson } from '../helpers/fixtures.js';
