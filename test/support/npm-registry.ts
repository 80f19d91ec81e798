import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An installed package packed again as the registry serves it: its regular files under package/ (the
 * symlinks are what its postinstall adds), with the sha512 integrity of this tarball.
 */
export function packInstalledPackage(packageDir: string): { tarball: Buffer; integrity: string } {
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-test-pack-'));
  try {
    const file = join(work, 'package.tgz');
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: packageDir, encoding: 'utf8' });
    execFileSync(
      'tar',
      ['-c', '-I', 'gzip -1', '-f', file, '--transform', 's,^\\.,package,', '--no-recursion', '-T', '-'],
      { cwd: packageDir, input: files },
    );
    const tarball = readFileSync(file);
    return { tarball, integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A local stand-in for the npm registry: serves each tarball at its path, 404 elsewhere, and records the paths asked for. */
export async function startRegistryStandIn(
  tarballs: Record<string, Buffer>,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const tarball = tarballs[request.url ?? ''];
    response.statusCode = tarball ? 200 : 404;
    response.end(tarball ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
