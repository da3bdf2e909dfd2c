/** Module boundaries, checked by `npm run lint` (depcruise). */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders (domain modules) depend on each other in one direction only.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'protocol-is-a-leaf',
      comment: 'The wire contract imports nothing else of the server, and no library but its schema builder.',
      severity: 'error',
      from: { path: '^src/protocol/' },
      to: { pathNot: ['^src/protocol/', '^node_modules/@sinclair/typebox/'] },
    },
    {
      name: 'typeorm-internals-only-in-database',
      comment: 'Deep TypeORM imports (drivers, metadata) stay in src/database.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/database/' },
      to: { path: '^node_modules/typeorm/(?!index)', pathNot: '^node_modules/typeorm/(index|typeorm-model-shim)' },
    },
    {
      name: 'clients-see-only-the-protocol',
      comment: 'The SDK and the demo client build on the contract, not on server code.',
      severity: 'error',
      from: { path: '^(packages/[^/]+/src|client-demo)/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'server-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
