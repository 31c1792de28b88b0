/** One device as the compute check program saw it. */
export interface ComputeDevice {
  index: number;
  name: string;
  /** Compute capability, `9.0`. */
  capability: string;
  /** The vector add on this device; absent when the program stopped before it. */
  vecadd?: { bytes: number; ok: true } | { bytes: number; ok: false; wrong: number; first: number; got: string; expected: string };
}

/** The first CUDA error the program hit. */
export interface ComputeError {
  /** The device it was working on; undefined before any device (cudaGetDeviceCount). */
  device?: number;
  /** The CUDA call that failed, e.g. `cudaGetDeviceCount`. */
  call: string;
  /** cudaGetErrorName: `cudaErrorNoDevice`. */
  name: string;
  /** cudaGetErrorString: `no CUDA-capable device is detected`. */
  message: string;
}

/** What the compute check program printed (format: modules/nvidia/compute-program.ts). */
export interface ComputeOutput {
  /** True when the first line is the program's header: anything else did not come from it. */
  recognized: boolean;
  /** cudaRuntimeGetVersion, e.g. 12080 for CUDA 12.8. */
  runtimeVersion?: number;
  /** cudaDriverGetVersion: the newest CUDA the driver supports (13000), 0 when no driver library was found. */
  driverVersion?: number;
  deviceCount?: number;
  devices: ComputeDevice[];
  error?: ComputeError;
  /** The `done` line: every device added right. */
  done: boolean;
}

const HEADER = 'phoenix-compute-check 1';

/** Parses the compute check program's stdout; unknown lines are ignored, a missing header says it is not the program. */
export function parseComputeOutput(text: string): ComputeOutput {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const out: ComputeOutput = { recognized: lines[0] === HEADER, devices: [], done: false };
  for (const line of lines.slice(1)) readLine(out, line);
  return out;
}

function readLine(out: ComputeOutput, line: string): void {
  let m: RegExpExecArray | null;
  if ((m = /^versions runtime (\d+) driver (\d+)$/.exec(line))) {
    out.runtimeVersion = Number(m[1]);
    out.driverVersion = Number(m[2]);
  } else if ((m = /^devices (\d+)$/.exec(line))) out.deviceCount = Number(m[1]);
  else if ((m = /^device (\d+) (\d+\.\d+) (.+)$/.exec(line))) {
    out.devices.push({ index: Number(m[1]), capability: m[2]!, name: m[3]! });
  } else if ((m = /^vecadd (\d+) (\d+) (ok|wrong (\d+) (\d+) (\S+) (\S+))$/.exec(line))) {
    const device = out.devices.find((d) => d.index === Number(m![1]));
    if (!device) return;
    const bytes = Number(m[2]);
    device.vecadd = m[3] === 'ok' ? { bytes, ok: true }
      : { bytes, ok: false, wrong: Number(m[4]), first: Number(m[5]), got: m[6]!, expected: m[7]! };
  } else if ((m = /^error (-|\d+) (\S+) (\S+) ?(.*)$/.exec(line))) {
    out.error ??= { ...(m[1] === '-' ? {} : { device: Number(m[1]) }), call: m[2]!, name: m[3]!, message: m[4]! };
  } else if (line === 'done') out.done = true;
}

/** `12080` → `12.8`, `13000` → `13.0` (CUDA's version integers are 1000 × major + 10 × minor). */
export function cudaVersionText(value: number): string {
  return `${Math.floor(value / 1000)}.${Math.floor((value % 1000) / 10)}`;
}
