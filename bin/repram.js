#!/usr/bin/env node
// Entry point of the `repram` command. The polyfill must load before libp2p.
await import('../dist/src/polyfill.js')
await import('../dist/src/cli/main.js')
