/** Types of build.mjs: a browser bundle of a page that embeds a REPRAM node (docs/public-network.md). */
import type { Plugin, Metafile } from 'esbuild'

/** The esbuild plugin: Node built-ins to browser shims, pino-pretty out, the standalone libp2p assembly out. */
export declare const repramBrowserPlugin: Plugin

/** Builds `entry` into `outfile` (ESM, browser), with the shims injected. Resolves with esbuild's metafile. */
export declare function buildBrowserNode (opts: { entry: string, outfile: string, minify?: boolean }): Promise<Metafile>
