// node:module for the browser build: createRequire serves the two modules the node loads
// that way (sorted-btree, package.json for the version), with Node's require semantics.
exports.createRequire = function createRequire () {
  return function require (id) {
    if (id === 'sorted-btree') return require_sortedBtree()
    if (id.endsWith('package.json')) return { name: 'repram', version: 'browser' }
    throw new Error('require(' + id + ') is not available in the browser build')
  }
}
function require_sortedBtree () { return require('sorted-btree') }
