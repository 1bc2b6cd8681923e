import { invalid } from '@tsnet/errors';
import { invalidMode } from './errors.js';
import { modeCopy, modePropagation, validMountMode } from './modes.js';

/**
 * `--volumes-from id[:ro|rw]` (linux_parser.go `ParseVolumesFrom`): propagation and copy modes
 * are refused; the mode defaults to rw.
 */
export function parseVolumesFrom(spec: string): { id: string; mode: string } {
  if (spec === '') {
    throw invalid('ERR_MOUNT_SPEC_INVALID', 'volumes-from specification cannot be an empty string', { details: { spec } });
  }
  const i = spec.indexOf(':');
  const id = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { id, mode: 'rw' };
  if (!validMountMode(mode) || modePropagation(mode) || modeCopy(mode).set) throw invalidMode(mode);
  return { id, mode };
}
