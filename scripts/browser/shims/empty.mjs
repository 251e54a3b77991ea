// A module the browser build leaves out (the standalone node's own libp2p assembly,
// identity files): the embedded `repram()` service never loads it.
export function createRepramLibp2p () { throw new Error('a browser node embeds repram() in its own libp2p node') }
export function loadOrCreateIdentity () { throw new Error('no identity files in the browser') }
export default {}
