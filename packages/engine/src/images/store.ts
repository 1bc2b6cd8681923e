import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { arch } from 'node:os';
import { join } from 'node:path';
import { conflict, notFound } from '@tsnet/errors';
import { Mutex, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../runtime/files.js';
import { unpackSaveArchive } from './archive.js';
import { applyChanges } from './changes.js';
import { treeSize } from './layers.js';
import { toInspect, toSummary } from './present.js';
import { formatReference, ID_PREFIX_RE, ID_RE, parseReference, parseRepository, parseTag } from './reference.js';
import { extractTar, type ByteSource } from './tar.js';
import type { ImageConfigJson, ImageDeleteItem, ImageInspect, ImageRecord, ImageSummary } from './types.js';

export interface ImageStoreOptions {
  /** Images live in `<dataRoot>/images`. */
  dataRoot: string;
  /** Which containers use an image (the daemon knows); guards remove(). */
  usage?: (imageId: string) => 'running' | 'stopped' | undefined;
}

export interface ImportOptions {
  /** `repo` and `tag` of `POST /images/create?fromSrc=-&repo=&tag=`; repo may carry `:tag`. */
  repo?: string;
  tag?: string;
  /** Dockerfile instructions (`changes=` query values). */
  changes?: readonly string[];
  /** History comment; Docker's default is "Imported from -". */
  message?: string;
}

interface Meta {
  size: number;
  lastTagTime: string;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

/**
 * Imported images: `<dataRoot>/images/<hex>/{config.json,meta.json,rootfs/}` plus
 * `repositories.json` (tag → id). The id is the sha256 of config.json's exact bytes, as in Docker.
 * Each image is one flattened directory used as an overlay lowerdir; layers are not shared.
 */
export class ImageStore {
  readonly #root: string;
  readonly #usage: ImageStoreOptions['usage'];
  readonly #images = new Map<string, ImageRecord>();
  #tags = new Map<string, string>();
  readonly #lock = new Mutex();

  private constructor(options: ImageStoreOptions) {
    this.#root = join(options.dataRoot, 'images');
    this.#usage = options.usage;
  }

  static async open(options: ImageStoreOptions): Promise<ImageStore> {
    const store = new ImageStore(options);
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    await mkdir(this.#root, { recursive: true, mode: 0o700 });
    // Leftovers of an import interrupted by a crash.
    await rm(join(this.#root, 'tmp'), { recursive: true, force: true });
    const tags = (await readJsonIfExists<Record<string, string>>(join(this.#root, 'repositories.json'))) ?? {};
    for (const name of await readdir(this.#root)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const dir = join(this.#root, name);
      const bytes = await readFile(join(dir, 'config.json')).catch(() => undefined);
      const meta = await readJsonIfExists<Meta>(join(dir, 'meta.json'));
      if (!bytes || !meta) continue;
      const config = JSON.parse(bytes.toString('utf8')) as ImageConfigJson;
      this.#images.set(`sha256:${name}`, { id: `sha256:${name}`, config, rootfsPath: join(dir, 'rootfs'), size: meta.size, repoTags: [], lastTagTime: meta.lastTagTime });
    }
    this.#tags = new Map(Object.entries(tags).filter(([, id]) => this.#images.has(id)));
    this.#refreshTags();
  }

  #refreshTags(): void {
    for (const [id, record] of this.#images) {
      const repoTags = [...this.#tags].filter(([, v]) => v === id).map(([k]) => k).sort();
      this.#images.set(id, { ...record, repoTags });
    }
  }

  async #saveTags(): Promise<void> {
    await writeJsonAtomic(join(this.#root, 'repositories.json'), Object.fromEntries([...this.#tags].sort()));
    this.#refreshTags();
  }

  /** `docker import`: one rootfs tar (plain or compressed) becomes a one-layer image. */
  async importRootfs(source: ByteSource, options: ImportOptions = {}): Promise<ImageRecord> {
    const ref = importReference(options);
    const created = new Date().toISOString();
    const runConfig = applyChanges({}, options.changes ?? []);
    const work = await this.#workDir();
    try {
      const rootfs = join(work, 'rootfs');
      await mkdir(rootfs, { mode: 0o755 });
      const { diffId } = await extractTar(source, rootfs);
      const config: ImageConfigJson = {
        architecture: GO_ARCH[arch()] ?? arch(),
        os: 'linux',
        created,
        config: runConfig,
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created, comment: options.message || 'Imported from -' }],
      };
      const id = await this.#commit(Buffer.from(JSON.stringify(config)), rootfs);
      if (ref) await this.#lock.run(async () => this.#setTag(formatReference(ref), id));
      return this.get(id);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** `docker load`: a `docker save` archive; returns the images with the tags they were given. */
  async load(source: ByteSource): Promise<ImageRecord[]> {
    const work = await this.#workDir();
    try {
      const unpacked = join(work, 'archive');
      await mkdir(unpacked);
      await extractTar(source, unpacked);
      const out: ImageRecord[] = [];
      for (const image of await unpackSaveArchive(unpacked, work)) {
        const refs = image.repoTags.map((t) => formatReference(parseReference(t)));
        const id = await this.#commit(image.configBytes, image.rootfs);
        await this.#lock.run(async () => {
          for (const r of refs) await this.#setTag(r, id);
        });
        out.push(this.get(id));
      }
      return out;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async #workDir(): Promise<string> {
    await mkdir(join(this.#root, 'tmp'), { recursive: true, mode: 0o700 });
    return mkdtemp(join(this.#root, 'tmp', `${randomBytes(2).toString('hex')}-`));
  }

  /** Moves a built rootfs into place under its id (a rename: atomic, same filesystem). */
  async #commit(configBytes: Buffer, rootfs: string): Promise<string> {
    const hex = createHash('sha256').update(configBytes).digest('hex');
    const id = `sha256:${hex}`;
    return this.#lock.run(async () => {
      if (this.#images.has(id)) return id;
      const staging = join(rootfs, '..', `commit-${hex.slice(0, 12)}`);
      await mkdir(staging);
      await rename(rootfs, join(staging, 'rootfs'));
      const size = await treeSize(join(staging, 'rootfs'));
      const meta: Meta = { size, lastTagTime: new Date().toISOString() };
      await writeFileAtomic(join(staging, 'config.json'), configBytes);
      await writeJsonAtomic(join(staging, 'meta.json'), meta);
      const dir = join(this.#root, hex);
      await rename(staging, dir);
      const config = JSON.parse(configBytes.toString('utf8')) as ImageConfigJson;
      this.#images.set(id, { id, config, rootfsPath: join(dir, 'rootfs'), size, repoTags: [], lastTagTime: meta.lastTagTime });
      return id;
    });
  }

  async #setTag(ref: string, id: string): Promise<void> {
    this.#tags.set(ref, id);
    await this.#saveTags();
  }

  /** Adds `repo[:tag]` to an image (`docker tag`). */
  async tag(nameOrId: string, repo: string, tag = 'latest'): Promise<void> {
    const id = this.resolve(nameOrId).id;
    const ref = formatReference({ repo: parseRepository(repo), tag: parseTag(tag) });
    await this.#lock.run(async () => this.#setTag(ref, id));
  }

  /**
   * Finds an image the way Docker does: full id (with or without `sha256:`), then `name[:tag]`,
   * then a unique id prefix.
   */
  resolve(nameOrId: string): ImageRecord {
    const full = ID_RE.exec(nameOrId);
    if (full) return this.get(`sha256:${full[1]}`);
    const byTag = this.#tags.get(tryFormat(nameOrId) ?? '');
    if (byTag) return this.get(byTag);
    const prefix = ID_PREFIX_RE.exec(nameOrId);
    if (prefix) {
      const matches = [...this.#images.keys()].filter((id) => id.startsWith(`sha256:${prefix[1]}`));
      if (matches.length === 1) return this.get(matches[0]!);
      if (matches.length > 1) {
        throw conflict('ERR_IMAGE_AMBIGUOUS', `image id prefix "${nameOrId}" matches ${matches.length} images`, { details: { ref: nameOrId } });
      }
    }
    throw noSuchImage(nameOrId);
  }

  get(id: string): ImageRecord {
    const record = this.#images.get(id);
    if (!record) throw noSuchImage(id);
    return record;
  }

  has(nameOrId: string): boolean {
    try {
      this.resolve(nameOrId);
      return true;
    } catch {
      return false;
    }
  }

  records(): ImageRecord[] {
    return [...this.#images.values()];
  }

  /** `GET /images/json` rows, newest first. */
  list(options: { all?: boolean } = {}): ImageSummary[] {
    void options.all; // every image is a top-level image here: there are no intermediate layers
    return this.records()
      .map(toSummary)
      .sort((a, b) => b.Created - a.Created);
  }

  inspect(nameOrId: string): ImageInspect {
    return toInspect(this.resolve(nameOrId));
  }

  /** `DELETE /images/{name}` with Docker's rules for tags, force and images in use. */
  async remove(nameOrId: string, options: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.#lock.run(async () => {
      const record = this.resolve(nameOrId);
      const byId = ID_PREFIX_RE.test(nameOrId) && !this.#tags.has(tryFormat(nameOrId) ?? '');
      const usage = this.#usage?.(record.id);
      const out: ImageDeleteItem[] = [];
      if (!byId) {
        const ref = tryFormat(nameOrId)!;
        if (record.repoTags.length > 1 || (usage && options.force)) return this.#untag([ref]);
        if (usage) throw inUse(nameOrId, usage);
        out.push(...(await this.#untag([ref])));
      } else {
        if (usage === 'running' || (usage && !options.force)) throw inUse(nameOrId, usage);
        if (record.repoTags.length > 1 && !options.force) {
          throw conflict('ERR_IMAGE_IN_USE', `unable to delete ${short(record.id)} (must be forced) - image is referenced in multiple repositories`);
        }
        out.push(...(await this.#untag(record.repoTags)));
        if (usage) return out;
      }
      this.#images.delete(record.id);
      await rm(join(this.#root, record.id.slice('sha256:'.length)), { recursive: true, force: true });
      out.push({ Deleted: record.id });
      return out;
    });
  }

  async #untag(refs: string[]): Promise<ImageDeleteItem[]> {
    for (const ref of refs) this.#tags.delete(ref);
    await this.#saveTags();
    return refs.map((ref) => ({ Untagged: ref }));
  }
}

function importReference(options: ImportOptions): { repo: string; tag: string } | undefined {
  if (!options.repo) return undefined;
  const parsed = parseReference(options.repo);
  return options.tag ? { repo: parsed.repo, tag: parseTag(options.tag) } : parsed;
}

function tryFormat(ref: string): string | undefined {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return undefined;
  }
}

function short(id: string): string {
  return id.slice('sha256:'.length, 'sha256:'.length + 12);
}

function noSuchImage(ref: string): Error {
  return notFound('ERR_IMAGE_NOT_FOUND', `No such image: ${ref}`, { details: { ref } });
}

function inUse(ref: string, usage: 'running' | 'stopped'): Error {
  const verb = usage === 'running' ? 'is being used by running container' : 'is being used by a stopped container (must be forced)';
  return conflict('ERR_IMAGE_IN_USE', `conflict: unable to remove image "${ref}": image ${verb}`, { details: { ref, usage } });
}
