// An app's source is its own: nothing outside apps/<name>/ reaches into it by a relative path (share code through a
// package instead). The system tests in the root test/ folder may: they drive the apps as a whole.
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** 'apps/<name>' for a path inside an app, else null. */
function appOf(file) {
  const [top, name] = path.relative(root, file).split(path.sep);
  return top === 'apps' && name ? `apps/${name}` : null;
}

export const noCrossAppImport = {
  meta: { type: 'problem', schema: [], messages: { crossApp: '{{from}} imports {{app}}\'s source ("{{source}}"): move what both need into a package.' } },
  create(context) {
    const file = context.filename;
    const from = appOf(file) ?? path.relative(root, file);
    if (path.relative(root, file).split(path.sep)[0] === 'test') return {};
    const check = (node) => {
      const source = node.type === 'CallExpression' ? node.arguments[0]?.value : node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const app = appOf(path.resolve(path.dirname(file), source));
      if (app !== null && app !== appOf(file)) context.report({ node, messageId: 'crossApp', data: { from, app, source } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      'CallExpression[callee.name="require"]': check,
    };
  },
};
