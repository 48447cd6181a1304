// Builds the console into dist/ (committed: `cargo build` embeds it, so a clone builds without
// Node). `make console` runs this; `make console-check` fails when dist/ differs from the sources.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
mkdirSync(dist, { recursive: true });

// The generated code lives in clients/typescript; its imports of the protobuf and Connect
// runtimes resolve here, so the bundle has one copy of each whether or not the TypeScript
// client's own node_modules exist.
const ownRuntime = {
  name: "own-runtime",
  setup(build) {
    build.onResolve({ filter: /^@(bufbuild|connectrpc)\// }, (args) =>
      args.resolveDir.startsWith(here) ? undefined : build.resolve(args.path, { kind: args.kind, resolveDir: here }),
    );
  },
};

await esbuild.build({
  entryPoints: [join(here, "src/main.tsx")],
  outfile: join(dist, "app.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "warning",
  plugins: [ownRuntime],
});
for (const file of ["index.html", "app.css", "favicon.svg"]) {
  copyFileSync(join(here, "src", file), join(dist, file));
}
