export { createMongoStore, type MongoRecoveryReport, type MongoStore, type MongoStoreOptions } from './mongo-store';
