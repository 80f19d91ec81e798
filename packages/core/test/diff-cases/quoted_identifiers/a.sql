create schema "Sales Data";
create type "Sales Data"."Order ""State""" as enum ('new', 'it''s done');
create table "Sales Data"."Order Items" (
  "Item ID" int constraint "Order Items PK" primary key,
  "Unit Price" numeric(8,2) default 0,
  "a""b" text,
  "State" "Sales Data"."Order ""State""" default 'new'
);
create index "Order Items by Price" on "Sales Data"."Order Items" ("Unit Price" desc);
create view "Sales Data"."Cheap Items" as select "Item ID", "Unit Price" from "Sales Data"."Order Items" where "Unit Price" < 10;
insert into "Sales Data"."Order Items" values (1, 5, 'x', 'it''s done');
