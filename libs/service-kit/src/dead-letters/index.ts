export * from './dead-letters.dto';
export * from './dead-letters.service';
export * from './dead-letters.controller';
