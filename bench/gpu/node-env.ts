// Imported first by bench/gpu/gradcheck.ts: what vitest.node.config.ts sets for the Node test job, set before the
// test modules evaluate (test/node/page.ts reads it at import).
process.env.WEBGRAD_RUNTIME = 'node';
