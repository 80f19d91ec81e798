// The shadow-database interface and its three providers. local-server.ts is exported from the package
// index on its own (the test setup uses it directly).
export * from './types';
export * from './spec';
export * from './shadow-server';
export { SHADOW_DATABASE_PREFIX, shadowDatabaseName, isShadowDatabaseName } from './shadow-databases';
export {
  dockerEndpoint,
  containerAddresses,
  sweepDeadShadowContainers,
  DOCKER_SHADOW_LABEL,
  DOCKER_OWNER_LABEL,
  type DockerEndpoint,
  type ContainerAddress,
} from './docker';
