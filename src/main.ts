import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';

@Module({})
class AppModule {}

async function main() {
  const app = await NestFactory.create(AppModule);
  await app.listen(4000);
}
void main();
