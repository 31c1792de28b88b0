/** One GPU as nvidia-smi's query reports it (the fields `verify` registers as `nvidia.gpus`). */
export interface GpuInfo {
  index: number;
  name: string;
  uuid: string;
  driver_version: string;
  bus_id: string;
}

/** The query `verify` runs; the parser accepts extra trailing columns (memory.total, compute_cap...). */
export const GPU_QUERY_FIELDS = 'index,name,uuid,driver_version,pci.bus_id';

/**
 * Parses `nvidia-smi --query-gpu=index,name,uuid,driver_version,pci.bus_id[,...] --format=csv,noheader`:
 * `0, NVIDIA H100 80GB HBM3, GPU-cfa9..., 580.159.04, 00000000:00:06.0`. Lines that are not GPU rows
 * (an error message) are skipped, so an empty array means nvidia-smi listed no GPU.
 */
export function parseGpuQuery(text: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[0]!) || !/^GPU-/.test(cells[2]!)) continue;
    gpus.push({ index: Number(cells[0]), name: cells[1]!, uuid: cells[2]!, driver_version: cells[3]!, bus_id: cells[4]! });
  }
  return gpus;
}

/** One line of `nvidia-smi -L`: `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-cfa92afc-...)`. */
export interface GpuListEntry {
  index: number;
  name: string;
  uuid: string;
}

/** Parses `nvidia-smi -L` (MIG device lines under a GPU are skipped). */
export function parseGpuList(text: string): GpuListEntry[] {
  const out: GpuListEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^GPU (\d+): (.*) \(UUID: (GPU-[^)]+)\)\s*$/.exec(line);
    if (m) out.push({ index: Number(m[1]), name: m[2]!, uuid: m[3]! });
  }
  return out;
}

/** What the default `nvidia-smi` table shows. */
export interface SmiTable {
  smi: string;
  driver: string;
  /** Highest CUDA version the driver supports (not the installed toolkit). */
  cuda?: string;
  gpus: Array<{ index: number; name: string; bus_id: string }>;
}

/**
 * Parses the default `nvidia-smi` table: the header `NVIDIA-SMI 580.159.04  Driver Version: 580.159.04
 * CUDA Version: 13.0` and one `|   0  NVIDIA H100 80GB HBM3   On  |   00000000:00:06.0 Off |` row per GPU.
 */
export function parseSmiTable(text: string): SmiTable | undefined {
  const head = /NVIDIA-SMI\s+(\S+)\s+Driver Version:\s+(\S+)(?:\s+CUDA Version:\s+(\S+))?/.exec(text);
  if (!head) return undefined;
  const gpus: SmiTable['gpus'] = [];
  const row = /^\|\s+(\d+)\s+(.+?)\s+(?:On|Off)\s+\|\s+([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-9A-Fa-f])\s/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (m) gpus.push({ index: Number(m[1]), name: m[2]!, bus_id: m[3]! });
  }
  const table: SmiTable = { smi: head[1]!, driver: head[2]!, gpus };
  if (head[3] && head[3] !== 'N/A') table.cuda = head[3];
  return table;
}
