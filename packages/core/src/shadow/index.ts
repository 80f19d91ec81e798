// The throwaway-database interface and its three providers. local-server.ts is exported from the package
// index on its own (the test setup uses it directly).
export * from './types';
export * from './spec';
export * from './shadow-server';
export { TEMPORARY_DATABASE_PREFIX, temporaryDatabaseName, isTemporaryDatabaseName } from './temporary-databases';
export { dockerEndpoint, containerAddresses, sweepDeadShadowContainers, DOCKER_SHADOW_LABEL, DOCKER_OWNER_LABEL, type DockerEndpoint, type ContainerAddress } from './docker';
