// node:assert for the browser build (nact checks its arguments with it): CommonJS, so `require('assert')` is the function.
function ok (value, message) { if (!value) throw new Error(message ?? 'assertion failed') }
module.exports = ok
module.exports.ok = ok
module.exports.equal = (a, b, m) => ok(a == b, m) // eslint-disable-line eqeqeq
module.exports.strictEqual = (a, b, m) => ok(a === b, m)
module.exports.notStrictEqual = (a, b, m) => ok(a !== b, m)
