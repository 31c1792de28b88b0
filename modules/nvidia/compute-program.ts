/**
 * The CUDA program of verify's `compute` check, compiled in the target with its own `nvcc` (default architecture:
 * the toolkit's oldest supported one plus its PTX, so the driver JIT-compiles it for any newer GPU).
 *
 * What it prints, one record per line, fields separated by single spaces ({@link parseComputeOutput} reads it; the
 * lab's stand-in program in lab/artifacts/cuda/compute-program.sh prints the same lines):
 *
 *     phoenix-compute-check 1
 *     versions runtime <cudaRuntimeGetVersion> driver <cudaDriverGetVersion>
 *     devices <cudaGetDeviceCount>
 *     device <index> <major>.<minor> <name, may contain spaces>
 *     vecadd <index> <bytes per vector> ok
 *     vecadd <index> <bytes per vector> wrong <elements wrong> <first wrong index> <got> <expected>
 *     error <index or -> <CUDA call> <cudaGetErrorName> <cudaGetErrorString, may contain spaces>
 *     done
 *
 * A device line and its vecadd line repeat per device. The first CUDA error ends the program (exit 1) after its error
 * line; a wrong vector add goes on with the next device and exits 2; `done` and exit 0 when every device added right.
 */
export const COMPUTE_PROGRAM_SOURCE = String.raw`// phoenix compute check (modules/nvidia/compute-program.ts): device count, each device's name and compute
// capability, and a vector add of 4 MiB per vector on each device, checked element by element on the host.
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

static const int N = 1 << 20;

static bool ok(cudaError_t err, int device, const char *call) {
  if (err == cudaSuccess) return true;
  if (device < 0) std::printf("error - %s %s %s\n", call, cudaGetErrorName(err), cudaGetErrorString(err));
  else std::printf("error %d %s %s %s\n", device, call, cudaGetErrorName(err), cudaGetErrorString(err));
  return false;
}

__global__ void add(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

// 0: right, 1: a CUDA error (printed), 2: a wrong sum (printed).
static int vectorAdd(int device, const float *a, const float *b, float *c) {
  const size_t bytes = size_t(N) * sizeof(float);
  float *da = nullptr, *db = nullptr, *dc = nullptr;
  if (!ok(cudaSetDevice(device), device, "cudaSetDevice")) return 1;
  if (!ok(cudaMalloc(&da, bytes), device, "cudaMalloc")) return 1;
  if (!ok(cudaMalloc(&db, bytes), device, "cudaMalloc")) return 1;
  if (!ok(cudaMalloc(&dc, bytes), device, "cudaMalloc")) return 1;
  if (!ok(cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice), device, "cudaMemcpy")) return 1;
  if (!ok(cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice), device, "cudaMemcpy")) return 1;
  if (!ok(cudaMemset(dc, 0xff, bytes), device, "cudaMemset")) return 1;  // NaN: an unwritten element cannot match
  add<<<(N + 255) / 256, 256>>>(da, db, dc, N);
  if (!ok(cudaGetLastError(), device, "add<<<>>>")) return 1;
  if (!ok(cudaDeviceSynchronize(), device, "cudaDeviceSynchronize")) return 1;
  if (!ok(cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost), device, "cudaMemcpy")) return 1;
  long wrong = 0, first = -1;
  for (int i = 0; i < N; i++) {
    if (c[i] == a[i] + b[i]) continue;
    if (first < 0) first = i;
    wrong++;
  }
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);
  if (wrong == 0) {
    std::printf("vecadd %d %zu ok\n", device, bytes);
    return 0;
  }
  std::printf("vecadd %d %zu wrong %ld %ld %g %g\n", device, bytes, wrong, first, c[first], a[first] + b[first]);
  return 2;
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // every line out before a crash
  std::printf("phoenix-compute-check 1\n");
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);  // 0 when no libcuda can be loaded
  std::printf("versions runtime %d driver %d\n", runtime, driver);
  int count = 0;
  if (!ok(cudaGetDeviceCount(&count), -1, "cudaGetDeviceCount")) return 1;
  std::printf("devices %d\n", count);
  float *a = static_cast<float *>(std::malloc(size_t(N) * sizeof(float)));
  float *b = static_cast<float *>(std::malloc(size_t(N) * sizeof(float)));
  float *c = static_cast<float *>(std::malloc(size_t(N) * sizeof(float)));
  if (!a || !b || !c) {
    std::printf("error - malloc cudaErrorMemoryAllocation host memory for three vectors\n");
    return 1;
  }
  for (int i = 0; i < N; i++) {
    a[i] = float(i);  // a + b = 3i stays exact in a float below 2^24
    b[i] = float(2 * i);
  }
  int status = 0;
  for (int d = 0; d < count; d++) {
    cudaDeviceProp p;
    if (!ok(cudaGetDeviceProperties(&p, d), d, "cudaGetDeviceProperties")) return 1;
    std::printf("device %d %d.%d %s\n", d, p.major, p.minor, p.name);
    int r = vectorAdd(d, a, b, c);
    if (r == 1) return 1;
    if (r == 2) status = 2;
  }
  if (status == 0) std::printf("done\n");
  return status;
}
`;
