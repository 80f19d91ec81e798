export * from './acknowledgements';
export * from './data-loss';
export * from './declared';
export * from './empty-goal';
export * from './rename-candidates';
