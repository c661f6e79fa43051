// Tokenise texts with VS Code's engine: stdin {name: text}, argv[2] the grammar;
// stdout {name: [[line, column, text, scopes], ...]}.
const fs = require("fs");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (text) => new oniguruma.OnigString(text),
}));
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async () =>
    vsctm.parseRawGrammar(fs.readFileSync(process.argv[2], "utf8"), process.argv[2]),
});
const texts = JSON.parse(fs.readFileSync(0, "utf8"));

registry.loadGrammar("source.slagraph").then((grammar) => {
  const out = {};
  for (const [name, text] of Object.entries(texts)) {
    let stack = vsctm.INITIAL;
    out[name] = [];
    text.split("\n").forEach((line, i) => {
      const r = grammar.tokenizeLine(line, stack);
      for (const t of r.tokens) {
        out[name].push([i, t.startIndex, line.slice(t.startIndex, t.endIndex), t.scopes]);
      }
      stack = r.ruleStack;
    });
  }
  process.stdout.write(JSON.stringify(out));
});
