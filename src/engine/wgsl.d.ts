// esbuild inlines kernels/*.wgsl as strings (loader: text); see build.mjs.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
