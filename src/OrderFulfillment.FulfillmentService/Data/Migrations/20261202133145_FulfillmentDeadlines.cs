using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OrderFulfillment.FulfillmentService.Data.Migrations
{
    /// <inheritdoc />
    public partial class FulfillmentDeadlines : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deadline_at",
                table: "fulfillment",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "deadline_token_id",
                table: "fulfillment",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "overdue_at",
                table: "fulfillment",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "status_since",
                table: "fulfillment",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "outbox_scheduled_message",
                columns: table => new
                {
                    token_id = table.Column<Guid>(type: "uuid", nullable: false),
                    deliver_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    ordering_key = table.Column<Guid>(type: "uuid", nullable: false),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    correlation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    initiator_id = table.Column<Guid>(type: "uuid", nullable: true),
                    request_id = table.Column<Guid>(type: "uuid", nullable: true),
                    source_address = table.Column<string>(type: "text", nullable: true),
                    destination_address = table.Column<string>(type: "text", nullable: true),
                    response_address = table.Column<string>(type: "text", nullable: true),
                    fault_address = table.Column<string>(type: "text", nullable: true),
                    sent_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    expiration_time = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    content_type = table.Column<string>(type: "text", nullable: false),
                    message_type = table.Column<string>(type: "text", nullable: false),
                    body = table.Column<string>(type: "text", nullable: false),
                    headers = table.Column<string>(type: "text", nullable: true),
                    properties = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_outbox_scheduled_message", x => x.token_id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_fulfillment_overdue_at",
                table: "fulfillment",
                column: "overdue_at",
                filter: "overdue_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_scheduled_message_deliver_at",
                table: "outbox_scheduled_message",
                column: "deliver_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "outbox_scheduled_message");

            migrationBuilder.DropIndex(
                name: "IX_fulfillment_overdue_at",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "deadline_at",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "deadline_token_id",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "overdue_at",
                table: "fulfillment");

            migrationBuilder.DropColumn(
                name: "status_since",
                table: "fulfillment");
        }
    }
}
