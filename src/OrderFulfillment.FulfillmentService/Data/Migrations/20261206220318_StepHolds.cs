using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OrderFulfillment.FulfillmentService.Data.Migrations
{
    /// <inheritdoc />
    public partial class StepHolds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "held_steps",
                table: "fulfillment",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<Guid>(
                name: "hold_token_id",
                table: "fulfillment",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "order_cancellation_claimed_at",
                table: "fulfillment",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "held_steps",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "hold_token_id",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "order_cancellation_claimed_at",
                table: "fulfillment");
        }
    }
}
