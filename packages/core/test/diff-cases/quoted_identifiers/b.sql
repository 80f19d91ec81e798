create schema "Sales Data";
create type "Sales Data"."Order ""State""" as enum ('new', 'it''s done', 'Ship "Now"');
create table "Sales Data"."Order Items" (
  "Item ID" int constraint "Order Items PK" primary key,
  "Unit Price" numeric(12,2) default 1 constraint "Price >= 0" check ("Unit Price" >= 0),
  "a""b" varchar(40),
  "State" "Sales Data"."Order ""State""" default 'Ship "Now"',
  "New Col" text collate "C"
);
create index "Order Items by Price" on "Sales Data"."Order Items" ("Unit Price" desc, "New Col");
create view "Sales Data"."Cheap Items" as select "Item ID", "Unit Price" from "Sales Data"."Order Items" where "Unit Price" < 10;
comment on column "Sales Data"."Order Items"."a""b" is 'the "a" b''s column';
grant select on "Sales Data"."Order Items" to schemainspect_test_role;
