/** Checks of docker-compose.yml and deploy/ (Compose schema, our wiring, Prometheus, Grafana, promtool). */
export * from './check-all';
export * from './compose-file';
export * from './compose-schema';
export * from './grafana';
export * from './metric-names';
export * from './problem';
export * from './prometheus';
export * from './promtool';
export * from './stack';
