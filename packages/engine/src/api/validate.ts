import type { z } from 'zod';

/** One line naming each offending field, e.g. `Internal: expected boolean, received string`. */
export function zodProblem(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}
