import { runAction } from '@db-migrate/action-kit';

runAction(async () => {
  throw new Error('not built yet');
});
