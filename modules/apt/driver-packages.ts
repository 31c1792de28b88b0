/**
 * Packages that bring NVIDIA's user-space driver (or a kernel module) from apt. In a host or container whose driver
 * came from the `.run` installer they would overwrite its libraries with another version (domain.md 3.3).
 */
const DRIVER_PACKAGES: RegExp[] = [
  /^cuda$/,
  /^cuda-drivers(-.*)?$/,
  /^cuda-\d+-\d+$/, // cuda-12-8 = toolkit + driver; cuda-toolkit-12-8 is fine
  /^cuda-runtime-.*/,
  /^nvidia-driver(-.*)?$/,
  /^nvidia-open(-.*)?$/,
  /^nvidia-dkms-.*/,
  /^nvidia-kernel-.*/,
  /^nvidia-utils-.*/,
  /^nvidia-compute-utils-.*/,
  // libnvidia-container1 and libnvidia-container-tools are the Container Toolkit's own library and CLI: they
  // bring no driver and use the driver user space that is there (the .run's, in a container).
  /^libnvidia-(?!container(?:\d|-tools$|-dev$)).*/,
];

/** Whether a package name (an `=version` or `:arch` suffix is ignored) is a driver package. */
export function isDriverPackage(spec: string): boolean {
  const name = spec.split('=')[0].split(':')[0];
  return DRIVER_PACKAGES.some((re) => re.test(name));
}
