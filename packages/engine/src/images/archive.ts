import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { invalid } from '@tsnet/errors';
import { mergeLayer } from './layers.js';
import { extractTar } from './tar.js';
import type { ImageConfigJson } from './types.js';

/** One image found in a `docker save` archive, its filesystem already flattened into `rootfs`. */
export interface LoadedImage {
  configBytes: Buffer;
  config: ImageConfigJson;
  repoTags: string[];
}

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function bad(why: string, cause?: unknown): Error {
  return invalid('ERR_IMAGE_ARCHIVE_INVALID', `invalid docker save archive: ${why}`, cause === undefined ? {} : { cause });
}

/** A path named by manifest.json, refused when it would leave the unpacked archive. */
function inside(root: string, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw bad(`bad path ${JSON.stringify(name)} in manifest.json`);
  const path = resolve(root, name);
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || resolve(root, rel) !== path) throw bad(`path "${name}" leaves the archive`);
  return path;
}

function parseManifest(text: string): ManifestEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad('manifest.json is not JSON', error);
  }
  if (!Array.isArray(value) || value.length === 0) throw bad('manifest.json must be a non-empty array');
  for (const entry of value as ManifestEntry[]) {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers)) throw bad('manifest entry needs Config and Layers');
  }
  return value as ManifestEntry[];
}

/**
 * Unpacks a `docker save` archive (legacy layout with <id>/layer.tar or the OCI layout with
 * blobs/sha256/...; both are described by manifest.json) into `workDir` and builds each image's
 * filesystem in `<workDir>/image-<n>/rootfs`, applying layers in order with whiteouts. Each
 * layer's sha256 must match the config's diff_ids, as `docker load` checks.
 */
export async function unpackSaveArchive(
  unpacked: string,
  workDir: string,
): Promise<Array<LoadedImage & { rootfs: string }>> {
  const manifestText = await readFile(join(unpacked, 'manifest.json'), 'utf8').catch((error: unknown) => {
    throw bad('manifest.json missing', error);
  });
  const images: Array<LoadedImage & { rootfs: string }> = [];
  for (const [index, entry] of parseManifest(manifestText).entries()) {
    const configBytes = await readFile(inside(unpacked, entry.Config)).catch((error: unknown) => {
      throw bad(`config ${entry.Config} missing`, error);
    });
    let config: ImageConfigJson;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as ImageConfigJson;
    } catch (error) {
      throw bad(`config ${entry.Config} is not JSON`, error);
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== entry.Layers.length) throw bad(`config lists ${diffIds.length} layers, manifest ${entry.Layers.length}`);
    const rootfs = join(workDir, `image-${index}`, 'rootfs');
    await mkdir(rootfs, { recursive: true, mode: 0o755 });
    for (const [i, layer] of entry.Layers.entries()) {
      const staging = await mkdtemp(join(workDir, 'layer-'));
      const { diffId } = await extractTar(createReadStream(inside(unpacked, layer)), staging);
      if (diffId !== diffIds[i]) throw bad(`layer ${layer} has digest ${diffId}, config says ${diffIds[i]}`);
      await mergeLayer(staging, rootfs);
      await rm(staging, { recursive: true, force: true });
    }
    images.push({ configBytes, config, repoTags: entry.RepoTags ?? [], rootfs });
  }
  return images;
}
