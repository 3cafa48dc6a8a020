// esbuild inlines kernels/<family>/*.wgsl (and kernels/common/) as strings (loader: text); see build.mjs.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
