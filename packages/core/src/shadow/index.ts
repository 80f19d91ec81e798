// Throwaway (shadow) databases: the interface and its three providers (embedded, docker, an existing
// server). The servers embedded starts are in postgres-server/.
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
