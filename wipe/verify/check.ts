/** One named verification check: what was checked, whether it held, and why, in one line. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export function pass(name: string, detail: string): Check {
  return { name, ok: true, detail };
}

export function fail(name: string, detail: string): Check {
  return { name, ok: false, detail };
}
