// Assembles the widget's npm package in dist/package (`tsx build/package.ts [--out <dir>]`, after
// `tsx build/widget.ts`): a publishable folder, `npm pack`/`npm publish` as it is.
//   alloy.js     the loader for a <script> tag (`window.Alloy`), copied from dist/widget;
//   alloy.mjs    the loader as an ES module (the package's main entry), copied from dist/widget;
//   react.mjs    the React bindings (widget/react), built here with Vite's JS API; they import the
//                loader from `./alloy.mjs`, so a page has one session whichever entry it uses;
//   index.d.ts   the public types (widget/types.ts, no zod, no Preact) and the ES module's exports;
//   react.d.ts   the React bindings' types (types/react/*.d.ts), which need @types/react only;
//   package.json from widget/package/package.template.json, with the root package's version;
//   README.md    from widget/package/README.md.
// The UI (alloy-ui.js) is not in the package: the loader fetches it from the server
// (`<baseUrl>/widget/alloy-ui.js`), so it always matches the server's version.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { build, type Plugin } from 'vite';
import { gzipSize } from './widget-checks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const widget = path.join(root, 'dist', 'widget');
const outArg = process.argv.indexOf('--out');
const out = path.resolve(outArg > 0 ? process.argv[outArg + 1]! : path.join(root, 'dist', 'package'));
const fail = (message: string): never => {
  console.error(`build/package.ts: ${message}`);
  process.exit(1);
};

for (const file of ['alloy.js', 'alloy.mjs']) {
  if (!fs.existsSync(path.join(widget, file))) fail(`dist/widget/${file} is missing: run "npx tsx build/widget.ts" first`);
}
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });

// The loaders. The ES module's one dynamic import (of the UI, by URL) is told to webpack too, as
// it is to Vite: left alone, webpack (and Next.js) would try to bundle the URL's target.
fs.copyFileSync(path.join(widget, 'alloy.js'), path.join(out, 'alloy.js'));
let esm = fs.readFileSync(path.join(widget, 'alloy.mjs'), 'utf8');
if (!esm.includes('webpackIgnore')) {
  const imports = esm.match(/import\(\s*\/\*\s*@vite-ignore\s*\*\/\s*/g) ?? [];
  if (imports.length !== 1) fail(`expected one \`import(/* @vite-ignore */ …)\` in alloy.mjs, found ${imports.length}`);
  esm = esm.replace(imports[0]!, 'import(/* @vite-ignore */ /* webpackIgnore: true */ ');
}
fs.writeFileSync(path.join(out, 'alloy.mjs'), esm);

// The ES module's named exports, as built: each method of `Alloy()`, `Alloy` and `default`, `AlloyError`.
const loader = (await import(pathToFileURL(path.join(out, 'alloy.mjs')).href)) as Record<string, unknown> & { Alloy(): Record<string, unknown> };
const methods = Object.keys(loader.Alloy())
  .filter((k) => k !== 'AlloyError')
  .sort();
const exported = Object.keys(loader)
  .filter((k) => !['Alloy', 'default', 'AlloyError'].includes(k))
  .sort();
if (methods.join() !== exported.join()) fail(`alloy.mjs exports ${exported.join(', ')} but Alloy() has ${methods.join(', ')}`);

// The React bindings. `widget/index.ts` (the loader) stays out, imported from `./alloy.mjs`;
// React is the page's. Nothing else of the widget (Preact, the UI) may come in.
const REACT_DIR = path.join(root, 'widget', 'react') + path.sep;
const LOADER = path.join(root, 'widget', 'index.ts');
const external = ['react', 'react/jsx-runtime', 'react-dom'];
const loaderExternal: Plugin = {
  name: 'alloy-package-loader-external',
  enforce: 'pre',
  async resolveId(source, importer) {
    if (external.includes(source)) return { id: source, external: true };
    if (!importer || !source.startsWith('.')) return null;
    const resolved = await this.resolve(source, importer, { skipSelf: true });
    if (resolved?.id === LOADER) return { id: './alloy.mjs', external: true };
    return null;
  },
  generateBundle(_, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const foreign = Object.keys(chunk.modules).filter((id) => !id.startsWith(REACT_DIR));
      if (foreign.length) this.error(`react.mjs may hold widget/react only, not ${foreign.join(', ')}`);
      const imports = [...chunk.imports, ...chunk.dynamicImports].filter((id) => id !== './alloy.mjs' && !external.includes(id));
      if (imports.length) this.error(`react.mjs imports ${imports.join(', ')}`);
    }
  },
};
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  // React's production JSX runtime whatever NODE_ENV says (vitest's `test` would pick jsx-dev-runtime).
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: false } },
  plugins: [loaderExternal],
  build: {
    outDir: out,
    emptyOutDir: false,
    target: 'es2022',
    // Readable: the app's bundler minifies it with the rest.
    minify: false,
    lib: { entry: path.join(REACT_DIR, 'index.ts'), formats: ['es'], fileName: () => 'react.mjs' },
    // Hooks: a client component for React Server Components frameworks (Next.js's app router).
    // The docs are in react.d.ts; the pure annotations stay, for the app's tree-shaking.
    rolldownOptions: { external, output: { banner: "'use client';", comments: { jsdoc: false, annotation: true, legal: true } } },
  },
});

// The declarations: widget/types.ts and widget/react, emitted by tsc, with relative imports
// written as ESM wants them (`.js`), each checked to need nothing but each other and React.
const parsed = ts.getParsedCommandLineOfConfigFile(
  path.join(root, 'tsconfig.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) },
)!;
const sources = [
  path.join(root, 'widget', 'types.ts'),
  ...fs
    .readdirSync(REACT_DIR)
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => path.join(REACT_DIR, f)),
];
const program = ts.createProgram(sources, {
  ...parsed.options,
  noEmit: false,
  declaration: true,
  emitDeclarationOnly: true,
  rootDir: path.join(root, 'widget'),
  outDir: path.join(out, 'types'),
  types: [],
});
const problems = sources.flatMap((file) => {
  const sf = program.getSourceFile(file)!;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
});
if (problems.length) fail(ts.formatDiagnostics(problems, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));

const declarations = new Map<string, string>();
for (const file of sources) {
  const emitted = program.emit(program.getSourceFile(file), (name, text) => declarations.set(path.resolve(name), text), undefined, true);
  if (emitted.emitSkipped) fail(`no declarations for ${path.relative(root, file)}`);
}
const typesFile = path.join(out, 'types', 'types.d.ts');
const indexFile = path.join(out, 'index.d.ts');
for (const [file, text] of declarations) {
  // Each module specifier of the file (as tsc reads them: not the words of a comment), last first.
  const specifiers = ts.preProcessFile(text, true, true).importedFiles.sort((a, b) => b.pos - a.pos);
  let fixed = text;
  for (const { fileName: spec, pos, end } of specifiers) {
    if (!spec.startsWith('.')) {
      if (file === typesFile || !external.includes(spec)) fail(`${path.relative(out, file)} imports "${spec}"`);
      continue;
    }
    const target = path.resolve(path.dirname(file), `${spec}.d.ts`);
    // The public types are index.d.ts in the package.
    const to = target === typesFile ? indexFile : target;
    if (to !== indexFile && !declarations.has(to)) fail(`${path.relative(out, file)} imports "${spec}", which the package lacks`);
    let rel = path
      .relative(path.dirname(file), to)
      .replace(/\\/g, '/')
      .replace(/\.d\.ts$/, '.js');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    // `pos` is the opening quote's.
    const quote = text[pos];
    if ((quote !== "'" && quote !== '"') || text.slice(pos + 1, end + 1) !== spec) fail(`cannot place "${spec}" in ${path.relative(out, file)}`);
    fixed = `${fixed.slice(0, pos + 1)}${rel}${fixed.slice(end + 1)}`;
  }
  declarations.set(file, fixed);
}
// Only what react.d.ts reaches (the bindings' internals have no types to ship).
const reached = new Set<string>();
const visit = (file: string) => {
  if (reached.has(file) || !declarations.has(file)) return;
  reached.add(file);
  for (const { fileName } of ts.preProcessFile(declarations.get(file)!, true, true).importedFiles) {
    if (fileName.startsWith('.')) visit(path.resolve(path.dirname(file), fileName.replace(/\.js$/, '.d.ts')));
  }
};
visit(path.join(out, 'types', 'react', 'index.d.ts'));
for (const file of reached) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, declarations.get(file)!);
}

// index.d.ts: the public types, then the ES module's exports, typed by AlloyInstance's members.
const types = declarations.get(typesFile) ?? fail('widget/types.ts emitted nothing');
fs.writeFileSync(
  indexFile,
  [
    "// The types of @alloy-embedded-kit/widget (alloy.mjs, and alloy.js's `window.Alloy`): widget/types.ts.",
    types.trimEnd(),
    '',
    '// alloy.mjs: each method as a named export.',
    ...methods.map((m) => `export declare const ${m}: AlloyInstance['${m}'];`),
    "/** Alloy's factory: `const alloy = Alloy()` has every method. The instances share one session: a page has one user. */",
    'export declare function Alloy(): AlloyInstance;',
    'export default Alloy;',
    '',
  ].join('\n'),
);
fs.writeFileSync(path.join(out, 'react.d.ts'), "export * from './types/react/index.js';\n");

// package.json and README.
const rootPackage = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; engines?: unknown };
const template = JSON.parse(fs.readFileSync(path.join(root, 'widget', 'package', 'package.template.json'), 'utf8')) as Record<string, unknown> & { name: string };
const { name, ...rest } = template;
fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify({ name, version: rootPackage.version, ...rest }, null, 2)}\n`);
fs.copyFileSync(path.join(root, 'widget', 'package', 'README.md'), path.join(out, 'README.md'));

const listed = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listed(path.join(dir, e.name)) : [path.join(dir, e.name)]));
console.log(`${name}@${rootPackage.version}: ${path.relative(process.cwd(), out) || '.'}`);
console.log('file                         bytes    gzip');
for (const file of listed(out).sort()) {
  const body = fs.readFileSync(file);
  console.log(`${path.relative(out, file).padEnd(26)}${String(body.length).padStart(8)}${String(gzipSize(body)).padStart(8)}`);
}
