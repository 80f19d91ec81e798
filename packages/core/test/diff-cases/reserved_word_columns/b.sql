create table "user" ("order" bigint primary key, "group" varchar(50), "limit" int default 20, "from" date, "check" int check ("check" > 0));
create view "table" as select "order", "group", "from" from "user" where "limit" > 0;
create index "index" on "user" ("group", "from");
create function "end"("user" "user") returns int language sql as $$ select $1."limit" $$;
