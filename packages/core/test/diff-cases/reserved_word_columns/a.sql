create table "user" ("order" int primary key, "group" text, "limit" int default 10, "select" boolean);
create view "table" as select "order", "group" from "user" where "limit" > 0;
create index "index" on "user" ("group");
