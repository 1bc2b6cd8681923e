import { Subject, type Observable } from 'rxjs';

/** One event in Docker's `/events` JSON shape. */
export interface DockerEvent {
  Type: 'container' | 'network' | 'volume' | 'image' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  /** Legacy fields Docker still sends for containers and images. */
  status?: string;
  id?: string;
  from?: string;
}

const KEEP = 1000;

/**
 * The daemon's event stream: containers, networks, volumes and images as Docker reports them.
 * The last events are kept so `since` can replay them, as dockerd does from its ring buffer.
 */
export class EventBus {
  readonly #subject = new Subject<DockerEvent>();
  readonly #recent: DockerEvent[] = [];

  get events(): Observable<DockerEvent> {
    return this.#subject.asObservable();
  }

  recent(): readonly DockerEvent[] {
    return this.#recent;
  }

  emit(type: DockerEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nowNs = BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
    const event: DockerEvent = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(nowNs / 1_000_000_000n),
      timeNano: Number(nowNs),
    };
    if (type === 'container' || type === 'image') {
      event.status = action;
      event.id = id;
      if (attributes.image) event.from = attributes.image;
    }
    this.#recent.push(event);
    if (this.#recent.length > KEEP) this.#recent.shift();
    this.#subject.next(event);
  }

  close(): void {
    this.#subject.complete();
  }
}

/** Docker's event filters: type, event/action, container, network, volume, image, label. */
export function eventMatches(e: DockerEvent, filters: Map<string, string[]>): boolean {
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  const actorIs = (type: DockerEvent['Type']) => (v: string) => e.Type === type && (e.Actor.ID === v || e.Actor.ID.startsWith(v) || e.Actor.Attributes.name === v);
  return (
    any('type', (v) => e.Type === v) &&
    any('event', (v) => e.Action === v || e.Action.startsWith(`${v}:`)) &&
    any('container', (v) => actorIs('container')(v) || (e.Type === 'network' && e.Actor.Attributes.container?.startsWith(v) === true)) &&
    any('network', actorIs('network')) &&
    any('volume', actorIs('volume')) &&
    any('image', (v) => e.Actor.Attributes.image === v || (e.Type === 'image' && actorIs('image')(v))) &&
    any('label', (v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in e.Actor.Attributes : e.Actor.Attributes[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}
