import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountMailer } from './account-mailer.service';
import { EmailTokenEntity } from './email-token.entity';
import { EmailTokensService } from './email-tokens.service';
import { MailService } from './mail.service';

@Module({
  imports: [TypeOrmModule.forFeature([EmailTokenEntity])],
  providers: [EmailTokensService, MailService, AccountMailer],
  exports: [AccountMailer],
})
export class MailModule {}
