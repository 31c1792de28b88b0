// A small CUDA check for test/gpu/unprivileged-container.sh: prints the devices the runtime sees (count, name,
// compute capability), adds two vectors of N floats on device 0 and compares every element with the host's sum.
// Exit 0 and "vector-add: PASS" when all match; any CUDA error is printed with its name (cudaGetErrorName, e.g.
// cudaErrorNoDevice, cudaErrorInsufficientDriver) and the program exits 1; a wrong element exits 2.
//   nvcc -O2 -arch=native -o vector-add vector-add.cu && ./vector-add
#include <cstdio>
#include <cstdlib>
#include <cuda_runtime.h>

#define CHECK(call)                                                                                   \
  do {                                                                                                \
    cudaError_t err_ = (call);                                                                        \
    if (err_ != cudaSuccess) {                                                                        \
      std::printf("vector-add: FAIL: %s: %s (%s)\n", #call, cudaGetErrorName(err_), cudaGetErrorString(err_)); \
      return 1;                                                                                       \
    }                                                                                                 \
  } while (0)

__global__ void add(const float *a, const float *b, float *c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

int main() {
  int count = 0;
  CHECK(cudaGetDeviceCount(&count));
  std::printf("vector-add: %d CUDA device(s)\n", count);
  for (int d = 0; d < count; d++) {
    cudaDeviceProp p;
    CHECK(cudaGetDeviceProperties(&p, d));
    std::printf("vector-add: device %d: %s, compute capability %d.%d, %zu MiB\n", d, p.name, p.major, p.minor,
                p.totalGlobalMem >> 20);
  }
  int runtime = 0, driver = 0;
  CHECK(cudaRuntimeGetVersion(&runtime));
  CHECK(cudaDriverGetVersion(&driver));
  std::printf("vector-add: CUDA runtime %d, driver API %d\n", runtime, driver);

  const int n = 1 << 24;  // 16 Mi floats, 64 MiB per vector
  const size_t bytes = size_t(n) * sizeof(float);
  float *a = static_cast<float *>(std::malloc(bytes));
  float *b = static_cast<float *>(std::malloc(bytes));
  float *c = static_cast<float *>(std::malloc(bytes));
  if (!a || !b || !c) {
    std::printf("vector-add: FAIL: host malloc\n");
    return 1;
  }
  for (int i = 0; i < n; i++) {
    a[i] = float(i % 1000) * 0.5f;
    b[i] = float((i * 7) % 1000) * 0.25f;
  }
  float *da = nullptr, *db = nullptr, *dc = nullptr;
  CHECK(cudaSetDevice(0));
  CHECK(cudaMalloc(&da, bytes));
  CHECK(cudaMalloc(&db, bytes));
  CHECK(cudaMalloc(&dc, bytes));
  CHECK(cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice));
  CHECK(cudaMemset(dc, 0xff, bytes));  // NaN everywhere: an element the kernel did not write cannot match
  const int threads = 256;
  add<<<(n + threads - 1) / threads, threads>>>(da, db, dc, n);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost));
  long bad = 0;
  for (int i = 0; i < n; i++) {
    if (c[i] != a[i] + b[i]) {
      if (bad < 5) std::printf("vector-add: element %d: got %g, expected %g\n", i, c[i], a[i] + b[i]);
      bad++;
    }
  }
  CHECK(cudaFree(da));
  CHECK(cudaFree(db));
  CHECK(cudaFree(dc));
  std::free(a);
  std::free(b);
  std::free(c);
  if (bad) {
    std::printf("vector-add: FAIL: %ld of %d elements wrong\n", bad, n);
    return 2;
  }
  std::printf("vector-add: PASS: %d elements, c = a + b on device 0\n", n);
  return 0;
}
